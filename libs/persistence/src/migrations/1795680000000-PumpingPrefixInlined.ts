import type { MigrationInterface, QueryRunner } from 'typeorm';
import { PREFIX_FUNCTION } from './1795640000000-PumpingGuard';

/**
 * pumping_prefix(phone) without STRICT, so that Postgres inlines it: a STRICT
 * SQL function whose body is not strict (its CASE) is never inlined, and every
 * write of a primary step (its insert and each update, 3 a send) evaluated the
 * index ix_steps_primary_pumping_prefix_created_at through a call of the SQL
 * function (~0.05 ms each, pg_stat_user_functions). Inlined, the expression is
 * the same; phone_number is NOT NULL, and left(NULL, …) is NULL, so no stored
 * entry changes and the index needs no rebuild.
 */
export class PumpingPrefixInlined1795680000000 implements MigrationInterface {
  name = 'PumpingPrefixInlined1795680000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(INLINABLE);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(PREFIX_FUNCTION.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION'));
  }
}

if (!PREFIX_FUNCTION.includes('IMMUTABLE STRICT PARALLEL SAFE'))
  throw new Error('PumpingPrefixInlined: the function of migration PumpingGuard changed');
const INLINABLE = PREFIX_FUNCTION.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION').replace(
  'IMMUTABLE STRICT PARALLEL SAFE',
  'IMMUTABLE PARALLEL SAFE',
);
