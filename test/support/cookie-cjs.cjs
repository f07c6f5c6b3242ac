// light-my-request (behind Fastify's inject, used by the fuzz suite) require()s `cookie`, which is ESM only
// from v2; jest's module runtime can't require ESM on Node 20 (see the content-disposition note in jest.config.js).
// It only needs this to turn inject's `cookies` option into a Cookie header.
'use strict';
function stringifySetCookie(cookie) {
  return `${cookie.name}=${encodeURIComponent(cookie.value)}`;
}
module.exports = { stringifySetCookie };
