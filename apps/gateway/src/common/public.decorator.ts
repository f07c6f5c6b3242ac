import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'isPublic';
/** the route needs no bearer key */
export const Public = () => SetMetadata(IS_PUBLIC, true);
