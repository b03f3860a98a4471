'use strict';
// undici's client requires its HTTP/2 half (and with it node:http2) at its top; the connector's agents never offer
// h2 (undici's allowH2 is off), so it is loaded only if a server ever negotiates it.
let connectH2;
module.exports = function connectH2Lazily(client, socket) {
  connectH2 ??= require('undici/lib/dispatcher/client-h2.js');
  return connectH2(client, socket);
};
