import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/public.decorator';
import { VERSION } from '../version';

class ServiceInfoDto {
  @ApiProperty({ description: 'Service name', example: 'otp-failover-gateway' })
  service: string;

  @ApiProperty({ description: 'Version', example: '0.1.0' })
  version: string;

  @ApiProperty({ description: '"ok" when the process is up', example: 'ok' })
  status: string;

  @ApiProperty({ description: 'Where the health check is', example: '/health' })
  health: string;
}

@ApiTags('health')
@Public()
@Controller()
export class RootController {
  @Get()
  @ApiOperation({ operationId: 'getServiceInfo', security: [], summary: 'What this service is' })
  @ApiOkResponse({ type: ServiceInfoDto })
  info(): ServiceInfoDto {
    return { service: 'otp-failover-gateway', version: VERSION, status: 'ok', health: '/health' };
  }
}
