import { DataSource } from 'typeorm';
import { dataSourceOptions } from './libs/persistence/src/data-source-options';

// For the TypeORM CLI (`npm run typeorm -- migration:generate ...`); needs DATABASE_URL.
if (!process.env.DATABASE_URL) {
  throw new Error(
    'DATABASE_URL: must be set for the TypeORM CLI (start the gateway once, or point it at any Postgres)',
  );
}
export default new DataSource(dataSourceOptions(process.env.DATABASE_URL));
