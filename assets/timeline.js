// The event timeline (components/timeline.py), in the browser: month and picks never ask the server.
//
// `pick`: a click, tap or key press on an event sets the month slider to the event's month
// (the slider's value redraws the map, the energy chart and the URL through `rigflows.view`,
// assets/views.js) and records the event, so the panel under the timeline opens its month; an
// event after the data's last month opens its month in the panel and leaves the views alone.
// `mark`: as the month moves (a pick, the slider, Play), the timeline marks the month, says
// where it sits among the events, shows that month in the panel (the picked event's month right
// after a pick), and scrolls its own list (never the page, except to bring the panel into view
// after a pick on a phone, where the panel sits below the list).
// Component ids ('timeline', 'timeline-details', 'timeline-picked') are those of components/ids.py.
(function () {
  const clientside = (window.dash_clientside = window.dash_clientside || {});
  const PHONE = '(max-width: 600px)';  // assets/timeline.css's one-column layout

  function triggeredId() {
    const triggered = (clientside.callback_context.triggered || [])[0];
    if (!triggered || !triggered.value) { return null; }
    try {
      return JSON.parse(triggered.prop_id.slice(0, triggered.prop_id.lastIndexOf('.')));
    } catch (error) {
      return null;
    }
  }

  function scrollListTo() {
    window.requestAnimationFrame(function () {
      const list = document.getElementById('timeline');
      const block = list && list.querySelector('.timeline-month.is-selected');
      if (!block || list.scrollHeight <= list.clientHeight) { return; }
      const top = block.offsetTop - list.offsetTop;
      if (top < list.scrollTop || top + block.offsetHeight > list.scrollTop + list.clientHeight) {
        list.scrollTo({top: Math.max(0, top - 8), behavior: 'smooth'});
      }
    });
  }

  // After a pick on a phone, the picked event's text (in the panel below the list) is scrolled
  // into view once Dash has shown its month: a few frames at most.
  function bringIntoView(eventId, framesLeft) {
    if (!window.matchMedia(PHONE).matches) { return; }
    window.requestAnimationFrame(function () {
      const text = document.getElementById('timeline-description-' + eventId);
      const item = text && text.closest('li');
      if (!item || !item.offsetParent) {
        if (framesLeft > 0) { bringIntoView(eventId, framesLeft - 1); }
        return;
      }
      const box = item.getBoundingClientRect();
      if (box.top < 0 || box.bottom > window.innerHeight) {
        item.scrollIntoView({block: box.height > window.innerHeight ? 'start' : 'nearest', behavior: 'smooth'});
      }
    });
  }

  clientside.rigflowsTimeline = {
    pick: function () {
      const id = triggeredId();
      if (!id) { return [clientside.no_update, clientside.no_update]; }
      return [id.month >= 0 ? id.month : clientside.no_update, {event: id.event, month: id.at}];
    },

    mark: function (monthIndex, picked, settings, statuses) {
      const month = settings.months[monthIndex] || settings.month;
      const triggered = (clientside.callback_context.triggered || []).map((t) => t.prop_id);
      const byPick = Boolean(picked && triggered.includes('timeline-picked.data'));
      const open = byPick ? picked.month : month;
      const outputs = clientside.callback_context.outputs_list;
      const classes = outputs[0].map(function (output) {
        const at = output.id.month;
        return 'timeline-month ' + (at === month ? 'is-selected' : at < month ? 'is-past' : 'is-future');
      });
      const hidden = outputs[2].map((output) => output.id.month !== open);
      const details = outputs[3].map((output) => 'timeline-detail' + (picked && output.id.event === picked.event ? ' is-picked' : ''));
      scrollListTo();
      if (byPick) { bringIntoView(picked.event, 30); }
      return [classes, statuses[month] || month, hidden, details, hidden.includes(false)];
    },
  };
})();
