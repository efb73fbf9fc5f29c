// Example partner booking page with the Passwerk widget, and the server-side
// verification of the signed verdict (compact JWS, EdDSA) against Passwerk's
// published key — no Passwerk call needed at booking time.
//
//   PASSWERK_URL=http://127.0.0.1:8080 PASSWERK_KEY=pwpk_… PORT=8081 node server.mjs
//
// Node's standard library only: read it as the reference for your own verifier.
import { createServer } from 'node:http';
import { createPublicKey, verify, createHash } from 'node:crypto';

const passwerk = process.env.PASSWERK_URL || 'http://127.0.0.1:8080';
const key = process.env.PASSWERK_KEY || '';
const port = Number(process.env.PORT || 8081);
const host = process.env.HOST || '127.0.0.1';

let jwksCache = null;
async function publicKey(kid) {
  if (!jwksCache || !jwksCache.keys.some((k) => k.kid === kid)) {
    jwksCache = await (await fetch(`${passwerk}/.well-known/jwks.json`)).json();
  }
  const jwk = jwksCache.keys.find((k) => k.kid === kid && k.kty === 'OKP' && k.crv === 'Ed25519');
  if (!jwk) throw new Error('unknown key id');
  return createPublicKey({ key: jwk, format: 'jwk' });
}

// Returns the verdict's claims if the signature, expiry and card hash hold.
export async function verifyVerdict(jws, cardNumber) {
  const parts = String(jws || '').split('.');
  if (parts.length !== 3) throw new Error('not a compact JWS');
  const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString());
  if (header.alg !== 'EdDSA') throw new Error('unexpected algorithm');
  const ok = verify(null, Buffer.from(`${parts[0]}.${parts[1]}`), await publicKey(header.kid),
    Buffer.from(parts[2], 'base64url'));
  if (!ok) throw new Error('bad signature');
  const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString());
  if (claims.exp < Date.now() / 1000) throw new Error('verdict expired');
  const digits = String(cardNumber || '').replace(/[\s-]/g, '');
  if (claims.sub !== createHash('sha256').update(digits).digest('base64url')) throw new Error('verdict is for another card');
  return claims;
}

const page = `<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>Kursbuchung – Volkshochschule (Beispiel)</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main>
<h1>Kursbuchung: Aquarellmalen für Einsteiger</h1>
<form id="booking" method="post" action="/book">
  <div><label for="participant">Name der Teilnehmerin / des Teilnehmers</label>
  <input id="participant" name="participant" required autocomplete="name"></div>
  <p><button type="submit">Ermäßigt buchen</button></p>
</form>
<script src="${passwerk}/static/widget/passwerk-check.js" data-key="${key}" data-form="#booking" defer></script>
</main></body></html>`;

function html(status, body) {
  return [status, { 'Content-Type': 'text/html; charset=utf-8' },
    `<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Buchung</title></head><body><main>${body}</main></body></html>`];
}

const server = createServer(async (req, res) => {
  let reply;
  if (req.method === 'GET' && req.url === '/') {
    reply = [200, { 'Content-Type': 'text/html; charset=utf-8' }, page];
  } else if (req.method === 'POST' && req.url === '/book') {
    let body = '';
    for await (const chunk of req) body += chunk;
    const form = new URLSearchParams(body);
    try {
      const claims = await verifyVerdict(form.get('passwerk_verdict'), form.get('passwerk_card_number'));
      reply = claims.valid
        ? html(200, `<h1>Buchung bestätigt</h1><p>Ermäßigung: ${claims.discount} (gültig bis ${claims.valid_until}).</p>`)
        : html(400, '<h1>Ermäßigung nicht bestätigt</h1>');
    } catch (error) {
      reply = html(400, `<h1>Ermäßigung nicht bestätigt</h1><p>${String(error.message).replace(/[<>&]/g, '')}</p>`);
    }
  } else {
    reply = [404, { 'Content-Type': 'text/plain' }, 'not found'];
  }
  res.writeHead(reply[0], reply[1]);
  res.end(reply[2]);
});
server.listen(port, host, () => console.log(`partner example listening on http://${host}:${server.address().port}/`));
