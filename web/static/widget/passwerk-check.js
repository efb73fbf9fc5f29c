// Passwerk partner widget. A partner's booking page includes
//   <script src="https://<passwerk>/static/widget/passwerk-check.js"
//           data-key="pwpk_…" data-form="#booking" defer></script>
// It adds the card number and name fields to the form, checks the card with
// Passwerk when the form is submitted (publishable key, allowed only from the
// partner's registered origins), and submits the form with the signed
// verdict in the hidden field "passwerk_verdict" only if the card is valid.
// The partner's server verifies the verdict with /.well-known/jwks.json.
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script) return;
  var base = new URL(script.src).origin;
  var key = script.getAttribute('data-key');
  var lang = script.getAttribute('data-lang') === 'en' ? 'en' : 'de';
  var texts = {
    de: {
      legend: 'Ermäßigung mit Sozialpass oder Ehrenamtskarte',
      number: 'Kartennummer',
      numberHint: '12 Ziffern, wie auf der Karte',
      name: 'Die ersten drei Buchstaben Ihres Nachnamens',
      checking: 'Karte wird geprüft …',
      no_match: 'Kartennummer und Name passen nicht zusammen.',
      expired: 'Die Karte ist nicht (mehr) gültig.',
      blocked: 'Die Karte ist gesperrt.',
      error: 'Die Karte konnte gerade nicht geprüft werden. Bitte versuchen Sie es später erneut.',
      valid: 'Karte gültig.'
    },
    en: {
      legend: 'Discount with a social pass or volunteer card',
      number: 'Card number',
      numberHint: '12 digits, as on the card',
      name: 'The first three letters of your family name',
      checking: 'Checking the card …',
      no_match: 'Card number and name do not match.',
      expired: 'The card is not valid (any more).',
      blocked: 'The card is blocked.',
      error: 'The card could not be checked just now. Please try again later.',
      valid: 'Card valid.'
    }
  }[lang];

  function start() {
    var form = document.querySelector(script.getAttribute('data-form') || 'form[data-passwerk]');
    if (!form || !key) return;
    var set = document.createElement('fieldset');
    set.className = 'passwerk-check';
    var legend = document.createElement('legend');
    legend.textContent = texts.legend;
    set.appendChild(legend);
    function field(id, label, hint, attrs) {
      var wrap = document.createElement('div');
      var l = document.createElement('label');
      l.htmlFor = id;
      l.textContent = label;
      var input = document.createElement('input');
      input.id = id;
      input.name = id;
      input.required = true;
      Object.keys(attrs).forEach(function (k) { input.setAttribute(k, attrs[k]); });
      wrap.appendChild(l);
      if (hint) {
        var h = document.createElement('div');
        h.id = id + '-hint';
        h.textContent = hint;
        input.setAttribute('aria-describedby', h.id);
        wrap.appendChild(h);
      }
      wrap.appendChild(input);
      set.appendChild(wrap);
      return input;
    }
    var number = field('passwerk_card_number', texts.number, texts.numberHint,
                       { inputmode: 'numeric', autocomplete: 'off', maxlength: '20' });
    var name = field('passwerk_name', texts.name, '', { autocomplete: 'off', maxlength: '10' });
    var status = document.createElement('p');
    status.className = 'passwerk-status';
    status.setAttribute('role', 'status');
    status.setAttribute('aria-live', 'polite');
    set.appendChild(status);
    var verdict = document.createElement('input');
    verdict.type = 'hidden';
    verdict.name = 'passwerk_verdict';
    form.appendChild(verdict);
    var submitButton = form.querySelector('[type=submit]');
    form.insertBefore(set, submitButton ? submitButton.closest('form > *') || submitButton : null);

    var confirmed = false;
    form.addEventListener('submit', function (event) {
      if (confirmed) return;
      event.preventDefault();
      status.textContent = texts.checking;
      fetch(base + '/api/v1/checks', {
        method: 'POST',
        headers: { 'Authorization': 'Bearer ' + key, 'Content-Type': 'application/json' },
        body: JSON.stringify({ card_number: number.value, name: name.value })
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (result) {
        if (!result.ok) { status.textContent = texts.error; return; }
        if (!result.body.valid) {
          status.textContent = texts[result.body.reason] || texts.no_match;
          number.focus();
          return;
        }
        status.textContent = texts.valid;
        verdict.value = result.body.verdict;
        confirmed = true;
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      }).catch(function () { status.textContent = texts.error; });
    });
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
