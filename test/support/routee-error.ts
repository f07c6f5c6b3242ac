import { RouteeError } from '@app/routee';

/** the RouteeError a call fails with (any other outcome fails the test) */
export async function caught(promise: Promise<unknown>): Promise<RouteeError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof RouteeError) return err;
    throw err;
  }
  throw new Error('expected a RouteeError');
}
