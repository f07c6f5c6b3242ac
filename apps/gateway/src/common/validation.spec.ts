import { getMetadataStorage, IsInt, IsString, validateSync } from 'class-validator';
import { memoizeRuleLookup } from './validation';

class Base {
  @IsString()
  name!: unknown;
}

class Child extends Base {
  @IsInt()
  count!: unknown;
}

function failedFields(object: object): string[] {
  return validateSync(object)
    .map((e) => e.property)
    .sort();
}

function make<T extends object>(cls: new () => T, fields: Record<string, unknown>): T {
  return Object.assign(new cls(), fields);
}

describe('memoizeRuleLookup', () => {
  const storage = getMetadataStorage();
  memoizeRuleLookup(storage);

  it('answers what the lookup answers, inherited rules included', () => {
    expect(failedFields(make(Child, { name: 1, count: 'x' }))).toEqual(['count', 'name']);
    expect(failedFields(make(Child, { name: 'a', count: 2 }))).toEqual([]);
    expect(
      storage
        .getTargetValidationMetadatas(Child, '', false, false)
        .map((m) => m.propertyName)
        .sort(),
    ).toEqual(['count', 'name']);
  });

  it('keeps one answer per class and options', () => {
    const first = storage.getTargetValidationMetadatas(Child, '', false, false);
    expect(storage.getTargetValidationMetadatas(Child, '', false, false)).toBe(first);
    expect(storage.getTargetValidationMetadatas(Child, '', true, false)).not.toBe(first);
    expect(storage.getTargetValidationMetadatas(Base, '', false, false)).not.toBe(first);
  });

  it('forgets what it kept when a rule is added, to a class looked up before or to a new one', () => {
    expect(failedFields(make(Child, { name: 'a', count: 2, late: 'x' }))).toEqual([]);
    IsInt()(Child.prototype, 'late');
    expect(failedFields(make(Child, { name: 'a', count: 2, late: 'x' }))).toEqual(['late']);

    class Later extends Base {
      @IsInt()
      size!: unknown;
    }
    expect(failedFields(make(Later, { name: 2, size: 'x' }))).toEqual(['name', 'size']);
  });

  it('groups each kept answer by field once', () => {
    const rules = storage.getTargetValidationMetadatas(Child, '', false, false);
    const byField = storage.groupByPropertyName(rules);
    expect(Object.keys(byField)).toEqual(expect.arrayContaining(['count', 'name']));
    expect(storage.groupByPropertyName(rules)).toBe(byField);
  });

  it('is applied once, however many pipes are made', () => {
    const wrapped = storage.getTargetValidationMetadatas;
    memoizeRuleLookup(storage);
    expect(storage.getTargetValidationMetadatas).toBe(wrapped);
  });

  it('passes lookups with validation groups through', () => {
    class Grouped {
      @IsInt({ groups: ['a'] })
      n!: unknown;
    }
    expect(validateSync(make(Grouped, { n: 'x' }), { groups: ['a'] }).map((e) => e.property)).toEqual(['n']);
    const otherGroup = validateSync(make(Grouped, { n: 'x' }), { groups: ['b'] });
    expect(otherGroup.flatMap((e) => Object.keys(e.constraints ?? {}))).not.toContain('isInt');
  });
});
