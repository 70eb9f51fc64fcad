// The sign-in page and the account overview, on tessera/client (cookie session transport): the
// session is an HttpOnly cookie; the client handles the CSRF token and keeps every tab in step.
import { createClient } from '/client/index.js';
import { clearErrors, credentialItem, describe, showError } from '/forms.js';

const $ = (id) => document.getElementById(id);
const client = createClient({ transport: 'session' });
const { startAuthentication } = window.SimpleWebAuthnBrowser;
/** The MFA challenge of a password login that needs a second factor (202). */
let challenge = null;

function say(text, isError = false) {
  $('message').textContent = text;
  $('message').className = isError ? 'error' : '';
}

async function render() {
  const { status, user } = client.state;
  const inside = status === 'signedIn' && user !== null;
  $('signed-in').hidden = !inside;
  $('signed-out').hidden = inside;
  $('admin-link').hidden = !(inside && user.role === 'admin');
  if (!inside) return;
  $('who').textContent = user.username;
  $('role').textContent = user.role;
  await listSessions();
}

async function listSessions() {
  try {
    // This device first, then by last use.
    const sessions = (await client.sessions()).sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt.localeCompare(a.lastSeenAt));
    $('sessions').replaceChildren(...sessions.map((s) => credentialItem(s, signOutOne)));
  } catch (error) {
    say(describe(error), true);
  }
}

async function signOutOne(s) {
  try {
    await client.revokeSession(s.id);
    say(`${s.device?.label ?? 'That device'} is signed out.`);
    await listSessions();
    $('logout-others').focus();
  } catch (error) {
    say(describe(error), true);
  }
}

client.onChange(({ type, reason }) => {
  if (type === 'signedOut' && reason !== 'signOut') say('Your session ended. Sign in again.', true);
  if (type === 'signedIn' || type === 'signedOut') void render();
});

const fields = (form) => Object.fromEntries(new FormData(form));

$('login').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  const { username, password, remember } = fields(form);
  try {
    const answer = await client.signIn(String(username), String(password), { remember: remember === 'on' });
    form.reset();
    if (answer.status === 'mfaRequired') {
      challenge = answer.challenge;
      $('mfa').hidden = false;
      $('mfa-passkey').hidden = !answer.methods.includes('passkey');
      $('mfa').querySelector('input').focus();
      say('Your password is right: now your second factor.');
      return;
    }
    say('Signed in.');
  } catch (error) {
    showError(form, error);
  }
});

async function finishMfa(proof) {
  try {
    await client.completeMfa(challenge, proof);
    challenge = null;
    $('mfa').reset();
    $('mfa').hidden = true;
    say('Signed in.');
  } catch (error) {
    showError($('mfa'), error);
  }
}

$('mfa').addEventListener('submit', (event) => {
  event.preventDefault();
  const { code, recoveryCode } = fields(event.target);
  void finishMfa(String(code).trim() === '' ? { recoveryCode: String(recoveryCode).trim() } : { code: String(code).trim() });
});

async function post(path, body) {
  const response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
  const data = await response.json();
  if (!response.ok) throw Object.assign(new Error(data.title), data);
  return data;
}

$('mfa-passkey').addEventListener('click', async () => {
  try {
    const { options } = await post('/v1/mfa/passkey-options', { challenge });
    await finishMfa({ passkey: await startAuthentication({ optionsJSON: options }) });
  } catch (error) {
    showError($('mfa'), error);
  }
});

$('passkey-login').addEventListener('click', async () => {
  try {
    const { ceremony, options } = await post('/v1/passkeys/options');
    await client.signInWithPasskey(ceremony, await startAuthentication({ optionsJSON: options }));
    say('Signed in with a passkey.');
  } catch (error) {
    showError($('login'), error);
  }
});

$('register').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  const { username, password } = fields(form);
  try {
    await client.signUp(String(username), String(password));
    form.reset();
    say(`Welcome, ${username}: your account is ready and you are signed in.`);
  } catch (error) {
    showError(form, error);
  }
});

$('password').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  const { currentPassword, newPassword } = fields(form);
  try {
    await client.changePassword(String(currentPassword), String(newPassword));
    form.reset();
    say('Your password is changed; every other session is signed out.');
    await listSessions();
  } catch (error) {
    if (error.code === 'invalid_credentials') error.errors = [{ field: 'currentPassword', message: 'is wrong' }];
    showError(form, error);
  }
});

$('logout').addEventListener('click', async () => {
  await client.signOut().catch(() => undefined);
  say('Signed out.');
  $('login-username').focus();
});

$('logout-others').addEventListener('click', async () => {
  try {
    await client.signOut('others');
    say('Every other session is signed out.');
    await listSessions();
  } catch (error) {
    say(describe(error), true);
  }
});

await client.ready();
await render();
