// Sends the sign-in request on to the identity provider as soon as the page
// is loaded; without JavaScript the page's button does the same.
document.addEventListener('DOMContentLoaded', () => {
  const form = document.getElementById('pw-idp-form');
  if (form) form.submit();
});
