import { ApiProperty } from '@nestjs/swagger';

export class TemplateDto {
  @ApiProperty({ description: 'Template id, to send as templateId', example: '0aac888f-2ee2-4112-9659-1755a951966a', format: 'uuid' })
  id: string;

  @ApiProperty({ description: 'Human name of the template', example: 'Basic' })
  name: string;

  @ApiProperty({ description: 'Parameters the template requires (pin always)', example: ['pin'], type: [String] })
  params: string[];
}

export class TemplateListDto {
  @ApiProperty({ type: [TemplateDto], description: 'The Viber OTP templates', example: [{ id: '0aac888f-2ee2-4112-9659-1755a951966a', name: 'Basic', params: ['pin'] }] })
  templates: TemplateDto[];
}
