/** One jest config for unit specs (next to the code) and e2e specs (test/). */
const aliases = ['flow', 'routee', 'persistence', 'engine', 'config'];
module.exports = {
  rootDir: '.',
  moduleFileExtensions: ['js', 'json', 'ts'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
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
  },
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  testTimeout: 30000,
};
