// Account security and recovery pages: e-mail and its confirmation, password reset, TOTP with its
// recovery codes, and passkeys (@simplewebauthn/browser, served by Tessera). Tokens from mailed links
// arrive in the URL fragment, which never reaches a server log.
import { $, api, say, useCsrf } from '/api.js';

const { startRegistration } = window.SimpleWebAuthnBrowser;

const tokenInFragment = () => new URLSearchParams(location.hash.slice(1)).get('token');

async function verifyEmail() {
  $('verify-email').hidden = false;
  try {
    const { email } = await api('POST', '/v1/email/verify', { token: tokenInFragment() ?? '' });
    $('verify-result').textContent = `${email} is confirmed.`;
  } catch (error) {
    $('verify-result').textContent = error.message;
    $('verify-result').className = 'error';
  }
}

function resetPassword() {
  $('reset').hidden = false;
  $('reset').addEventListener('submit', async (event) => {
    event.preventDefault();
    const newPassword = String(new FormData(event.target).get('newPassword'));
    try {
      await api('POST', '/v1/password/reset', { token: tokenInFragment() ?? '', newPassword });
      event.target.hidden = true;
      say('Your password is set. Every session was signed out: sign in with the new password.');
    } catch (error) {
      say(error.message, true);
    }
  });
}

function forgot() {
  $('forgot').hidden = false;
  $('forgot').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('POST', '/v1/password/forgot', { identifier: String(new FormData(event.target).get('identifier')) });
      say('If that account has a confirmed address, a link is on its way. It works for 15 minutes.');
    } catch (error) {
      say(error.message, true);
    }
  });
}

function showCodes(codes) {
  $('code-list').replaceChildren(...codes.map((code) => Object.assign(document.createElement('li'), { textContent: code })));
  $('codes').hidden = false;
}

async function refresh() {
  const state = await api('GET', '/v1/me/security');
  $('email-state').textContent = state.email === null ? 'No address yet: add one to be able to reset a forgotten password.' : `${state.email} (${state.emailVerified ? 'confirmed' : 'not confirmed yet: follow the link we sent'})`;
  $('totp-state').textContent = state.totp === 'enabled' ? `On. ${state.recoveryCodes} recovery codes left.` : 'Off.';
  $('totp-start').hidden = state.totp === 'enabled';
  $('totp-remove').hidden = state.totp !== 'enabled';
  $('passkeys').replaceChildren(...state.passkeys.map((key) => {
    const item = document.createElement('li');
    const label = document.createElement('span');
    label.textContent = `${key.name} · ${key.deviceType === 'multiDevice' ? 'synced' : 'this device only'} · added ${new Date(key.createdAt).toLocaleDateString()}`;
    const remove = Object.assign(document.createElement('button'), { type: 'button', textContent: `Delete ${key.name}` });
    remove.addEventListener('click', () => act(async () => {
      await api('DELETE', `/v1/me/passkeys/${encodeURIComponent(key.id)}`);
      say(`Passkey ${key.name} deleted.`);
    }));
    item.append(label, ' ', remove);
    return item;
  }));
}

async function act(work) {
  try {
    await work();
    await refresh();
  } catch (error) {
    say(error.message, true);
  }
}

async function security() {
  try {
    const current = await api('GET', '/v1/session');
    useCsrf(current.csrfToken);
    $('who').textContent = current.user.username;
  } catch {
    say('Sign in first.', true);
    return;
  }
  $('security').hidden = false;
  await refresh();
  $('email').addEventListener('submit', (event) => {
    event.preventDefault();
    const email = String(new FormData(event.target).get('email')).trim();
    void act(async () => {
      await api('PUT', '/v1/me/email', { email: email === '' ? null : email });
      say(email === '' ? 'Address removed.' : `A confirmation link went to ${email}.`);
    });
  });
  $('totp-start').addEventListener('click', () => act(async () => {
    const { secret, qrSvg } = await api('POST', '/v1/me/totp');
    $('totp-secret').textContent = secret;
    // Parsed as SVG, not set as HTML or a data: URL: the CSP stays default-src 'self'.
    const svg = new DOMParser().parseFromString(qrSvg, 'image/svg+xml').documentElement;
    $('totp-qr').replaceChildren(document.importNode(svg, true));
    $('totp-enrol').hidden = false;
  }));
  $('totp').addEventListener('submit', (event) => {
    event.preventDefault();
    void act(async () => {
      const { recoveryCodes } = await api('POST', '/v1/me/totp/confirm', { code: String(new FormData(event.target).get('code')) });
      $('totp-enrol').hidden = true;
      showCodes(recoveryCodes);
      say('The authenticator app is on.');
    });
  });
  $('totp-remove').addEventListener('click', () => act(async () => {
    await api('DELETE', '/v1/me/totp');
    say('The authenticator app is removed.');
  }));
  $('passkey-add').addEventListener('click', () => act(async () => {
    const { ceremony, options } = await api('POST', '/v1/me/passkeys/options');
    const response = await startRegistration({ optionsJSON: options });
    const key = await api('POST', '/v1/me/passkeys', { ceremony, response, name: `Passkey ${new Date().toLocaleDateString()}` });
    say(`Passkey added: ${key.name}.`);
  }));
}

const routes = { '/account/verify-email': verifyEmail, '/account/reset-password': resetPassword, '/account/forgot': forgot };
void (routes[location.pathname] ?? security)();
