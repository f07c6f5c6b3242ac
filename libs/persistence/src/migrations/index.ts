import { Initial1795417379816 } from './1795417379816-Initial';

/** Every migration, in order. Listed explicitly so the same list works from ts (tests, CLI) and from dist. */
export const MIGRATIONS = [Initial1795417379816];
