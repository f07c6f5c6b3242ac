import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';

export class VerifyCodeDto {
  @ApiProperty({
    description: 'The flowId, or the trackingId of any of its steps',
    example: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890',
  })
  @Matches(/^[A-Za-z0-9._:-]{1,128}$/, { message: 'id must be a flowId or a trackingId' })
  @IsString()
  id: string;

  @ApiProperty({ description: 'The code the user typed', example: '482913' })
  @Length(1, 64)
  @IsString()
  code: string;
}

export class VerificationDto {
  @ApiProperty({
    description:
      'approved (the code is right; final), denied (wrong code), expired, too_many_attempts (VERIFY_MAX_ATTEMPTS used) or canceled',
    enum: ['approved', 'denied', 'expired', 'too_many_attempts', 'canceled'],
    example: 'approved',
  })
  status: 'approved' | 'denied' | 'expired' | 'too_many_attempts' | 'canceled';

  @ApiProperty({ description: 'Checks left for this flow', example: 4 })
  attemptsLeft: number;

  @ApiProperty({
    description: 'Until when the code may be checked',
    example: '2026-12-01T12:10:00.000Z',
    nullable: true,
    type: String,
  })
  expiresAt: string | null;
}

export class VerifyResponseDto {
  @ApiProperty({ description: 'The flow checked', example: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890' })
  flowId: string;

  @ApiProperty({
    type: VerificationDto,
    description: 'Where the check leaves the verification',
    example: { status: 'approved', attemptsLeft: 4, expiresAt: '2026-12-01T12:10:00.000Z' },
  })
  verification: VerificationDto;
}
