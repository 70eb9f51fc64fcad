// Problems shown where they belong: a field's error next to the field (aria-invalid, described by the
// error), anything else in the form's own alert. Shared by every page.
const FIELD_WORDS = { username_taken: 'This user name is taken.', invalid_credentials: 'The user name or the password is wrong.' };

export function clearErrors(form) {
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  for (const p of form.querySelectorAll('.field-error, .form-error')) p.textContent = '';
}

/** Shows `error` (a TesseraError or any Error) in `form`; focuses the first field at fault. */
export function showError(form, error) {
  clearErrors(form);
  const fields = error.errors ?? [];
  let first = null;
  for (const { field, message } of fields) {
    const input = form.querySelector(`[name="${field}"]`);
    const slot = input && document.getElementById(`${input.id}-error`);
    if (!slot) continue;
    input.setAttribute('aria-invalid', 'true');
    // The server's words follow the field's name: "Password is on a list of commonly breached passwords."
    const label = form.querySelector(`label[for="${input.id}"]`)?.textContent?.trim() ?? field;
    slot.textContent = `${label} ${message}.`;
    first ??= input;
  }
  if (error.code === 'username_taken') {
    const input = form.querySelector('[name=username]');
    input.setAttribute('aria-invalid', 'true');
    document.getElementById(`${input.id}-error`).textContent = FIELD_WORDS.username_taken;
    first = input;
  }
  if (first) {
    first.focus();
    return;
  }
  const alert = form.querySelector('.form-error');
  alert.textContent = describe(error);
}

export function describe(error) {
  if (FIELD_WORDS[error.code]) return FIELD_WORDS[error.code];
  if (error.code === 'rate_limited') return `Too many attempts: try again in ${error.retryAfter ?? 'a few'} seconds.`;
  if (error.code === 'network_error') return 'Tessera cannot be reached. Check your connection and try again.';
  if (error.code === 'reauthentication_required') return 'Sign in again, then come back to do this.';
  return error.message || 'Something went wrong.';
}

export const when = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A list item for one session or token family, with its own sign-out button. */
export function credentialItem(s, onSignOut) {
  const item = document.createElement('li');
  if (s.current) item.className = 'current';
  const main = document.createElement('div');
  main.className = 'item-main';
  const title = document.createElement('div');
  title.className = 'item-title';
  title.textContent = s.device?.label || s.userAgent || 'Unknown device';
  if (s.current) {
    const badge = document.createElement('span');
    badge.className = 'badge ok';
    badge.textContent = 'This device';
    title.append(badge);
  }
  const detail = document.createElement('div');
  detail.className = 'small muted';
  detail.textContent = `${s.kind === 'cookie' ? 'Cookie session' : 'Token family'} · ${s.ip || 'unknown address'} · signed in ${when(s.createdAt)} · last used ${when(s.lastSeenAt)}`;
  main.append(title, detail);
  item.append(main);
  if (onSignOut && !s.current) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'danger';
    button.textContent = 'Sign out';
    button.setAttribute('aria-label', `Sign out ${title.firstChild.textContent}, signed in ${when(s.createdAt)}`);
    button.addEventListener('click', () => onSignOut(s));
    item.append(button);
  }
  return item;
}
