import { Controller, Delete, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiDetailBearerErrors, ApiDetailError, ApiValidationError } from '../common/error-responses';
import {
  ListPumpingBlocksQueryDto,
  PumpingBlockDto,
  PumpingBlockListDto,
  PumpingPrefixParamDto,
} from './dto/pumping-block.dto';
import { NO_BLOCK, PumpingBlocksService } from './pumping-blocks.service';

/** The pumping guard's blocks (CONTRACT section 11, docs/operations.md "Pumping guard"): listed and lifted. */
@ApiTags('otp')
@ApiBearerAuth()
@ApiDetailBearerErrors()
@Controller('otp/pumping/blocks')
export class PumpingBlocksController {
  constructor(private readonly blocks: PumpingBlocksService) {}

  @Get()
  @ApiOperation({
    operationId: 'listPumpingBlocks',
    summary: "The pumping guard's blocked destination prefixes (in force, or with all=true the latest 100)",
  })
  @ApiOkResponse({ type: PumpingBlockListDto })
  @ApiValidationError('A bad or unknown query parameter', { loc: ['query', 'all'], msg: 'all must be true or false' })
  list(@Query() query: ListPumpingBlocksQueryDto): Promise<PumpingBlockListDto> {
    return this.blocks.list(query.all);
  }

  @Delete(':prefix')
  @ApiOperation({
    operationId: 'liftPumpingBlock',
    summary: 'Lift the block in force on a prefix: new flows to it go through at once, on every replica',
  })
  @ApiOkResponse({ type: PumpingBlockDto, description: 'The block, now lifted' })
  @ApiDetailError(404, 'No block is in force on this prefix', NO_BLOCK)
  @ApiValidationError('The prefix is not 3 to 5 digits', {
    loc: ['path', 'prefix'],
    msg: 'prefix must be 3 to 5 digits, the calling code and the next 2 (e.g. 4479)',
  })
  lift(@Param() { prefix }: PumpingPrefixParamDto): Promise<PumpingBlockDto> {
    return this.blocks.lift(prefix);
  }
}
