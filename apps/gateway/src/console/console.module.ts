import { Module } from '@nestjs/common';
import { ConsoleController } from './console.controller';

/** GET /console: the operators' console, a static page over the gateway's own API */
@Module({ controllers: [ConsoleController] })
export class ConsoleModule {}
