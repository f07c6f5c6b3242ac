import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../common/public.decorator';
import { loadConsoleAssets } from './console-assets';

/**
 * The operators' console (CONTRACT section 12): one HTML page, one script, one
 * stylesheet and an icon, served as written (no build step, no bundler). The page
 * needs no key to load; the operator pastes one and the script sends it as
 * the Bearer header of the API calls it makes, keeping it in sessionStorage
 * only. security-headers.ts gives these answers their own CSP (scripts and
 * styles from 'self', nothing inline). Left out of the OpenAPI document: a
 * page, not an API.
 */
@ApiExcludeController()
@Public()
@Controller('console')
export class ConsoleController {
  private readonly assets = loadConsoleAssets();

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  page(): string {
    return this.assets['index.html'];
  }

  @Get('console.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  script(): string {
    return this.assets['console.js'];
  }

  @Get('console.css')
  @Header('content-type', 'text/css; charset=utf-8')
  stylesheet(): string {
    return this.assets['console.css'];
  }

  @Get('favicon.svg')
  @Header('content-type', 'image/svg+xml')
  icon(): string {
    return this.assets['favicon.svg'];
  }
}
