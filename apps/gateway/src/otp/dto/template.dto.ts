import { ApiProperty } from '@nestjs/swagger';
import { TEMPLATE_TYPES } from '@app/routee';

export class TemplateDto {
  @ApiProperty({
    description: 'Template id, to send as templateId',
    example: '0aac888f-2ee2-4112-9659-1755a951966a',
    format: 'uuid',
  })
  id: string;

  @ApiProperty({ description: 'Human name of the template', example: 'Basic' })
  name: string;

  @ApiProperty({
    description: "Routee's templateType for this template (optional on a send; when given it must name this template)",
    enum: TEMPLATE_TYPES,
    example: 'basic',
  })
  templateType: string;

  @ApiProperty({ description: 'Parameters the template requires (pin always)', example: ['pin'], type: [String] })
  params: string[];
}

export class TemplateListDto {
  @ApiProperty({
    type: [TemplateDto],
    description: 'The Viber OTP templates',
    example: [{ id: '0aac888f-2ee2-4112-9659-1755a951966a', name: 'Basic', templateType: 'basic', params: ['pin'] }],
  })
  templates: TemplateDto[];
}
