import { QueryFailedError, QueryRunnerAlreadyReleasedError } from 'typeorm';
import { isDatabaseUnavailable } from './database-errors';

/** every shape "Postgres is not there" takes on its way up, and a few that are not that */
describe('isDatabaseUnavailable', () => {
  const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

  it.each([
    ['socket refused', pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['socket reset', pgError('ECONNRESET', 'read ECONNRESET')],
    ['admin shutdown (57P01)', pgError('57P01', 'terminating connection due to administrator command')],
    ['shutting down (57P03)', pgError('57P03', 'the database system is shutting down')],
    ['starting up (57P03)', pgError('57P03', 'the database system is starting up')],
    ['connection failure (08006)', pgError('08006', 'connection failure')],
    ['too many connections (53300)', pgError('53300', 'sorry, too many clients already')],
    ['pg-pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['pg connection timeout', new Error('Connection terminated due to connection timeout')],
    ['terminated mid-query', new Error('Connection terminated unexpectedly')],
    ['a dead client reused', new Error('Client has encountered a connection error and is not queryable')],
    [
      'TypeORM-wrapped',
      new QueryFailedError('SELECT 1', [], pgError('57P01', 'terminating connection due to administrator command')),
    ],
    ['a released query runner', new QueryRunnerAlreadyReleasedError()],
    ['as a cause', new Error('outer', { cause: pgError('ECONNREFUSED', 'connect ECONNREFUSED') })],
    [
      'in an AggregateError',
      new AggregateError(
        [
          pgError('ECONNREFUSED', 'connect ECONNREFUSED ::1:5432'),
          pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
        ],
        '',
      ),
    ],
  ])('%s → unavailable', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    [
      'a unique violation',
      new QueryFailedError('INSERT', [], pgError('23505', 'duplicate key value violates unique constraint')),
    ],
    ['a syntax error', pgError('42601', 'syntax error at or near "SELEC"')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['not an error', 'boom'],
    ['nothing', undefined],
  ])('%s → not unavailable', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
