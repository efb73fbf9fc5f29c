// What the application tests (functional and browser) share: the demo's
// application data, the answers of a complete social-pass application, a
// document upload form and the organisation link's token.
export const SOCIAL_PASS = 'sozialpass-kellenhusen';
export const VOLUNTEER_CARD = 'ehrenamt-kellenhusen';
export const DEMO_CITIZEN = 'Erika Mustermann';

// A date `days` from today, YYYY-MM-DD (the notice's end must lie ahead).
export function isoDaysAhead(days) {
  return new Date(Date.now() + days * 86400e3).toISOString().slice(0, 10);
}

// The answers the social pass needs beyond what the sign-in prefills.
export function socialPassAnswers() {
  return {
    birth_date: '1980-02-03', street: 'Strandweg 1', postal_code: '23746', city: 'Kellenhusen',
    benefit: 'wohngeld', notice_authority: 'Kreis Ostholstein', notice_valid_until: isoDaysAhead(200),
  };
}

// A multipart upload of one evidence document for the form field `field`.
export function documentForm(field, { name, data, type }) {
  const form = new FormData();
  form.append('field', field);
  form.append('file', new Blob([data], { type }), name);
  return form;
}

// The token of the demo's organisation confirmation link.
export function organisationToken(demo) {
  return new URL(demo.applications.organisation_confirmation_url).searchParams.get('token');
}

// The demo application of `scheme` in `status`.
export function demoApplication(demo, scheme, status) {
  return demo.applications.items.find((a) => a.scheme === scheme && a.status === status);
}
