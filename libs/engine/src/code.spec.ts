import { codeHash, codeMatches, generateCode, openCode, sealCode } from './code';

const SECRET = 'test-code-secret-0123456789abcdef0123456789';
const FLOW = '0f8fad5b-d9cb-469f-a165-70867728950e';
const OTHER = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

describe('codes under CODE_SECRET', () => {
  it('the HMAC is bound to the flow, and compares', () => {
    const hash = codeHash(SECRET, FLOW, '482913');
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(codeHash(SECRET, OTHER, '482913')).not.toBe(hash);
    expect(codeMatches(SECRET, FLOW, '482913', hash)).toBe(true);
    expect(codeMatches(SECRET, FLOW, '482914', hash)).toBe(false);
    expect(codeMatches(SECRET, OTHER, '482913', hash)).toBe(false);
    expect(codeMatches('another-secret-0123456789abcdef0123', FLOW, '482913', hash)).toBe(false);
  });

  it('a seal opens for its flow under its secret only, and differs each time', () => {
    const seal = sealCode(SECRET, FLOW, '482913');
    expect(seal).not.toContain('482913');
    expect(sealCode(SECRET, FLOW, '482913')).not.toBe(seal);
    expect(openCode(SECRET, FLOW, seal)).toBe('482913');
    expect(() => openCode(SECRET, OTHER, seal)).toThrow();
    expect(() => openCode('another-secret-0123456789abcdef0123', FLOW, seal)).toThrow();
  });

  it.each([
    [4, 'numeric', /^\d{4}$/],
    [6, 'numeric', /^\d{6}$/],
    [10, 'alphanumeric', /^[A-Z0-9]{10}$/],
  ] as const)('generateCode(%i, %s)', (length, alphabet, shape) => {
    const codes = Array.from({ length: 200 }, () => generateCode(length, alphabet));
    for (const code of codes) expect(code).toMatch(shape);
    // 200 draws of 10^4 or more: repeats are rare, all-equal never
    expect(new Set(codes).size).toBeGreaterThan(150);
  });
});
