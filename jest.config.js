/**
 * One jest config for unit specs (next to the code) and e2e specs (test/).
 * NestJS 12 ships ESM only and jest loads ESM only in its native ESM mode
 * (node --experimental-vm-modules), so the tests compile TypeScript to ESM;
 * the build (nest build) still emits CommonJS, which Node 20.19+ runs with require(esm).
 */
const aliases = ['flow', 'routee', 'persistence', 'engine', 'config', 'metrics'];
module.exports = {
  rootDir: '.',
  moduleFileExtensions: ['js', 'json', 'ts'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json', useESM: true }] },
  testEnvironment: 'node',
  moduleNameMapper: {
    ...Object.fromEntries(
      aliases.flatMap((a) => [
        [`^@app/${a}$`, `<rootDir>/libs/${a}/src`],
        [`^@app/${a}/(.*)$`, `<rootDir>/libs/${a}/src/$1`],
      ]),
    ),
    // the sandbox app is mountable in-process (the gateway's sandbox mode, the tests)
    '^@app/routee-sandbox$': '<rootDir>/apps/routee-sandbox/src',
    '^@app/routee-sandbox/(.*)$': '<rootDir>/apps/routee-sandbox/src/$1',
    // @fastify/static (CommonJS, behind the Swagger UI) requires content-disposition 3, which is ESM only;
    // Node 20 runs that require(esm) but jest's module runtime can't (it needs Node 24.9), so tests get v1, same API.
    '^content-disposition$': 'content-disposition-cjs',
    // the same for light-my-request's `cookie` (Fastify's inject): a CommonJS stand-in for the one function it uses
    '^cookie$': '<rootDir>/test/support/cookie-cjs.cjs',
  },
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  testTimeout: 30000,
};
