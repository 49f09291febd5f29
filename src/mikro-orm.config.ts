import 'reflect-metadata';
import { ormOptions } from './db/orm-options';

// Used by the MikroORM CLI (migration:create / migration:check). The app builds its options through ormOptions().
export default ormOptions(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/lipa_dev');
