import fc from 'fast-check';
import { inspectJson } from './body-limits';

describe('inspectJson', () => {
  it('measures depth without recursion, whatever the depth', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown;
    expect(inspectJson(deep, 32, 'body')).toEqual({ kind: 'too_deep' });
    expect(inspectJson({ a: [{ b: { c: 1 } }] }, 4, 'body')).toBeNull();
    expect(inspectJson({ a: [{ b: { c: {} } }] }, 4, 'body')).toEqual({ kind: 'too_deep' });
  });

  it('names the first field holding a NUL or a lone surrogate, keys included', () => {
    expect(inspectJson({ flow: [{ label: 'a\u0000' }] }, 32, 'body')).toEqual({
      kind: 'bad_text',
      loc: ['body', 'flow', 0, 'label'],
    });
    expect(inspectJson({ x: '\ud800' }, 32, 'body')).toEqual({ kind: 'bad_text', loc: ['body', 'x'] });
    expect(inspectJson({ x: 'ok\udc00' }, 32, 'query')).toEqual({ kind: 'bad_text', loc: ['query', 'x'] });
    expect(inspectJson({ 'k\u0000': 1 }, 32, 'body')).toEqual({ kind: 'bad_text', loc: ['body', 'k\u0000'] });
    expect(inspectJson({ x: 'emoji 💥 and ünïcödé' }, 32, 'body')).toBeNull();
  });

  it('finds nothing in well-formed text of any kind', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const text = JSON.stringify(value);
        // JSON.stringify escapes a lone surrogate as \udXXX
        const clean = !/\\u0000|\u0000|\\ud[89a-f]/i.test(text);
        return clean ? inspectJson(value, 32, 'body') === null : true;
      }),
    );
  });
});
