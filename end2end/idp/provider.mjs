// A real OpenID Provider for the browser tests and the demo: npm oidc-provider (OpenID Certified) on
// 127.0.0.1, with its own login page (any password; the account is the login), one confidential client
// for keydesk, PKCE required, back-channel logout on, ID tokens carrying the profile and groups claims.
//
//   node end2end/idp/provider.mjs PORT CONFIG.json
//
// CONFIG.json: { "rp": "http://127.0.0.1:3000", "clientSecret": "...", "keys": "keys.json",
//                "accounts": "accounts.json" }. The accounts file ({ "erin": { "name": "Erin", "groups":
// ["staff"] } }) is read at every sign-in, so a test can move someone between groups. The signing keys
// are made on first start and kept in the keys file; delete it (and restart) to rotate them.
import Provider from 'oidc-provider';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const [port, configFile] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configFile, 'utf8'));
const issuer = `http://127.0.0.1:${port}`;

if (!existsSync(config.keys)) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: `k-${randomBytes(4).toString('hex')}`, use: 'sig', alg: 'RS256' };
  writeFileSync(config.keys, JSON.stringify({ keys: [jwk] }));
}
const accounts = () => JSON.parse(readFileSync(config.accounts, 'utf8'));

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'keydesk',
    client_secret: config.clientSecret,
    redirect_uris: [`${config.rp}/auth/oidc/callback`],
    post_logout_redirect_uris: [`${config.rp}/sign-in`],
    backchannel_logout_uri: `${config.rp}/auth/oidc/backchannel-logout`,
    backchannel_logout_session_required: true,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: JSON.parse(readFileSync(config.keys, 'utf8')),
  cookies: { keys: [randomBytes(32).toString('hex')] },
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'email', 'groups'],
  claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email'], groups: ['groups'] },
  // Claims in the ID token itself (keydesk reads the token, not userinfo).
  conformIdTokenClaims: false,
  // The provider refuses to call special-use addresses (SSRF protection); here keydesk's back-channel
  // logout endpoint is on 127.0.0.1 by design, so its own requests go without that guard.
  fetch: (url, options) => {
    const { dispatcher, ...rest } = options;
    return fetch(url, rest);
  },
  features: { devInteractions: { enabled: true }, backchannelLogout: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  async findAccount(_ctx, sub) {
    const a = accounts()[sub];
    if (!a) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, preferred_username: sub, name: a.name, email: `${sub}@corp.example`, groups: a.groups };
      },
    };
  },
  // keydesk is first-party: no consent page, the grant is made at once.
  async loadExistingGrant(ctx) {
    const id = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (id) return ctx.oidc.provider.Grant.find(id);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile email groups');
    await grant.save();
    return grant;
  },
});
// What the provider did over the back channel, for the test output.
provider.on('backchannel.success', (_ctx, client, accountId) => process.stdout.write(`back-channel logout sent to ${client.clientId} for ${accountId}\n`));
provider.on('backchannel.error', (_ctx, err, client) => process.stdout.write(`back-channel logout to ${client.clientId} failed: ${err.message}\n`));
provider.listen(Number(port), '127.0.0.1', () => {
  process.stdout.write(`oidc-provider listening on ${issuer}\n`);
});
