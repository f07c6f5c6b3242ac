import { Controller, Get, HttpCode, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ApiDetailError } from '../common/error-responses';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Public } from '../common/public.decorator';
import { Drain } from '../shutdown/drain';

class HealthDto {
  @ApiProperty({ description: '"ok" when healthy', example: 'ok' })
  status: string;
}

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly drain: Drain,
  ) {}

  @Get()
  @ApiOperation({ operationId: 'getHealth', security: [], summary: 'Liveness: the process answers' })
  @ApiOkResponse({ type: HealthDto })
  live(): HealthDto {
    return { status: 'ok' };
  }

  @Get('ready')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'getReadiness',
    security: [],
    summary: 'Readiness: Postgres answers too, and no shutdown has begun',
  })
  @ApiOkResponse({ type: HealthDto })
  @ApiDetailError(
    503,
    'Postgres does not answer (within 2 s), or a shutdown began (SIGTERM) and the process drains its requests',
    'database unavailable',
    'shutting down',
  )
  async ready(): Promise<HealthDto> {
    // first step of a graceful shutdown: the load balancer stops sending requests here while those in flight finish
    if (this.drain.draining) throw new ServiceUnavailableException({ detail: 'shutting down' });
    try {
      await Promise.race([
        this.db.query('SELECT 1'),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref()),
      ]);
    } catch {
      throw new ServiceUnavailableException({ detail: 'database unavailable' });
    }
    return { status: 'ok' };
  }
}
