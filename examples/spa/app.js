// The whole app: tessera/client signs in and keeps the tokens (in memory, shared across tabs), and
// client.fetch puts the bearer on calls to the resource server, refreshing it as it expires.
import { createClient } from '/tessera-client/index.js';

const { tessera, api } = await (await fetch('/config.json')).json();
const auth = createClient({ baseUrl: tessera, transport: 'memory' });
const $ = (id) => document.getElementById(id);

function render({ status, user }, reason) {
  const inside = status === 'signedIn';
  $('sign-in').hidden = inside;
  $('inside').hidden = !inside;
  $('who').textContent = user?.username ?? '';
  if (!inside && reason && reason !== 'signOut') $('result').textContent = `Signed out (${reason}).`;
}
auth.onChange(({ state, reason }) => render(state, reason));

$('sign-in').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  try {
    const result = await auth.signIn(String(form.get('username')), String(form.get('password')));
    $('result').textContent = result.status === 'signedIn' ? '' : 'This account needs a second factor, which this example does not ask for.';
  } catch (error) {
    $('result').textContent = error.code === 'invalid_credentials' ? 'Wrong user name or password.' : error.message;
  }
});

$('orders').addEventListener('click', async () => {
  try {
    const response = await auth.fetch(`${api}/orders`);
    $('result').textContent = response.ok ? JSON.stringify(await response.json(), null, 2) : `The API answered ${response.status}.`;
  } catch (error) {
    $('result').textContent = error.message;
  }
});

$('out').addEventListener('click', () => auth.signOut());

render(await auth.ready());
