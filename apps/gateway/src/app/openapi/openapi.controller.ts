import { Controller, Get } from '@nestjs/common';
import { OPENAPI_DOCUMENT } from './openapi.document';

/** `GET /api/openapi.json`: the OpenAPI 3.1 document of this API. */
@Controller('api')
export class OpenApiController {
  /** The document. */
  @Get('openapi.json')
  document(): typeof OPENAPI_DOCUMENT {
    return OPENAPI_DOCUMENT;
  }
}
