// kept in step with package.json by hand; read at build time would need resolveJsonModule across rootDir
export const VERSION = '0.1.0';
