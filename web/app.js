// The browser side of a cookie session: credentials travel only in HttpOnly cookies; unsafe requests
// carry the CSRF token that login and GET /v1/session return (API.md, "Cross-site request forgery").
import { $, api, say, useCsrf } from '/api.js';

const { startAuthentication } = window.SimpleWebAuthnBrowser;
/** The MFA challenge of a password login that needs a second factor (202). */
let challenge = null;

async function show() {
  try {
    const current = await api('GET', '/v1/session');
    useCsrf(current.csrfToken);
    const { sessions } = await api('GET', '/v1/me/sessions');
    $('who').textContent = current.user.username;
    $('role').textContent = current.user.role;
    $('expires').textContent = new Date(current.session.idleExpiresAt).toLocaleString();
    $('sessions').replaceChildren(...sessions.map((s) => {
      const item = document.createElement('li');
      item.textContent = `${s.kind} · ${s.userAgent || 'unknown client'} · since ${new Date(s.createdAt).toLocaleString()}`;
      if (s.current) item.className = 'current';
      return item;
    }));
    $('signed-in').hidden = false;
    $('signed-out').hidden = true;
  } catch {
    useCsrf(null);
    $('signed-in').hidden = true;
    $('signed-out').hidden = false;
  }
}

function fields(form) {
  const data = new FormData(form);
  return { username: String(data.get('username')), password: String(data.get('password')), remember: data.get('remember') === 'on' };
}

$('login').addEventListener('submit', async (event) => {
  event.preventDefault();
  const { username, password, remember } = fields(event.target);
  try {
    const answer = await api('POST', '/v1/session', { username, password, remember });
    event.target.reset();
    if (answer.pending) {
      challenge = answer.mfa.challenge;
      $('mfa').hidden = false;
      $('mfa-passkey').hidden = !answer.mfa.methods.includes('passkey');
      $('mfa').querySelector('input').focus();
      say('Your password is right: now your second factor.');
      return;
    }
    say('Signed in.');
    await show();
  } catch (error) {
    say(error.message, true);
  }
});

async function finishMfa(proof) {
  try {
    await api('POST', '/v1/session/mfa', { challenge, ...proof });
    challenge = null;
    $('mfa').reset();
    $('mfa').hidden = true;
    say('Signed in.');
    await show();
  } catch (error) {
    say(error.message, true);
  }
}

$('mfa').addEventListener('submit', (event) => {
  event.preventDefault();
  const data = new FormData(event.target);
  const code = String(data.get('code')).trim();
  void finishMfa(code === '' ? { recoveryCode: String(data.get('recoveryCode')).trim() } : { code });
});

$('mfa-passkey').addEventListener('click', async () => {
  try {
    const { options } = await api('POST', '/v1/mfa/passkey-options', { challenge });
    await finishMfa({ passkey: await startAuthentication({ optionsJSON: options }) });
  } catch (error) {
    say(error.message, true);
  }
});

$('passkey-login').addEventListener('click', async () => {
  try {
    const { ceremony, options } = await api('POST', '/v1/passkeys/options');
    const response = await startAuthentication({ optionsJSON: options });
    await api('POST', '/v1/session/passkey', { ceremony, response });
    say('Signed in with a passkey.');
    await show();
  } catch (error) {
    say(error.message, true);
  }
});

$('register').addEventListener('submit', async (event) => {
  event.preventDefault();
  const { username, password } = fields(event.target);
  try {
    await api('POST', '/v1/users', { username, password });
    event.target.reset();
    say(`Account ${username} created: sign in.`);
  } catch (error) {
    say(error.message, true);
  }
});

$('logout').addEventListener('click', async () => {
  await api('DELETE', '/v1/session').catch(() => undefined);
  say('Signed out.');
  await show();
});

$('logout-others').addEventListener('click', async () => {
  try {
    await api('DELETE', '/v1/me/sessions');
    say('Every other session is signed out.');
    await show();
  } catch (error) {
    say(error.message, true);
  }
});

void show();
