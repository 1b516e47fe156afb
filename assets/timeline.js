// The event timeline (components/timeline.py), drawn here from its data: month and picks never
// ask the server, and its events are plain elements, not Dash components (dash-renderer would
// re-check each of them on every prop change of the page, a month step included).
//
// `draw` (a clientside callback without outputs) draws the card's body when the data changes
// (a country filter), then marks the selected month: where it sits among the events, its block
// highlighted and scrolled to in the list (never the page, except to bring the panel into view
// after a pick on a phone, where the panel sits below the list), and its events in words in
// the panel under the list (the picked event's month right after a pick).
// A click, tap or key press on an event (a real button) sets the month slider to the event's
// month, which redraws the map, the energy chart and the URL through `rigflows.view`
// (assets/views.js), and records the event in the picked Store; an event after the data's
// last month opens its month in the panel and leaves the views alone.
// Ids ('timeline-body', 'month-slider', 'timeline-picked', ...) are those of components/ids.py.
(function () {
  const clientside = (window.dash_clientside = window.dash_clientside || {});
  const PHONE = '(max-width: 600px)';  // assets/timeline.css's one-column layout
  let drawnData = null;  // the data the body shows

  // An element with its class, attributes and children (strings become text, never HTML).
  function element(tag, attributes, children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) { continue; }
      if (name === 'className') { node.className = value; } else { node.setAttribute(name, value === true ? '' : value); }
    }
    for (const child of children || []) {
      if (child !== null && child !== undefined) { node.append(child); }
    }
    return node;
  }

  function eventButton(event, group) {
    return element('button', {
      type: 'button', className: 'timeline-event timeline-kind-' + event.kind, title: event.description,
      'data-event': event.id, 'data-index': group.index, 'data-month': group.month, 'aria-describedby': event.description_id,
    }, [element('span', {className: 'timeline-event-title'}, [event.title]), element('span', {className: 'timeline-event-meta'}, [event.meta])]);
  }

  function more(group) {
    return group.more ? element('li', {className: 'timeline-more'}, [group.more]) : null;
  }

  function block(group) {
    return element('section', {className: 'timeline-month', 'data-month': group.month}, [
      element('h3', {className: 'timeline-month-label'}, [group.label, element('span', {className: 'timeline-count', title: group.count_title}, [String(group.count)])]),
      group.beyond ? element('p', {className: 'timeline-beyond'}, [group.beyond]) : null,
      element('ul', {}, [...group.events.map((event) => element('li', {}, [eventButton(event, group)])), more(group)]),
    ]);
  }

  function detail(event) {
    return element('li', {className: 'timeline-detail', 'data-event': event.id}, [
      element('h4', {}, [event.title]),
      element('p', {className: 'timeline-detail-meta'}, [event.meta]),
      element('p', {id: event.description_id}, [event.description]),
      element('p', {className: 'timeline-detail-sources-label'}, ['Sources:']),
      element('ul', {className: 'timeline-detail-sources'}, event.credits.map((credit) => element('li', {}, [credit]))),
    ]);
  }

  function panelMonth(group) {
    return element('div', {className: 'timeline-details-month', 'data-month': group.month, hidden: true}, [
      element('h3', {}, [group.panel_heading]),
      group.beyond ? element('p', {className: 'timeline-beyond'}, [group.beyond]) : null,
      element('ul', {className: 'timeline-details-list'}, [...group.events.map(detail), more(group)]),
    ]);
  }

  function drawBody(body, data) {
    body.replaceChildren(
      element('p', {id: 'timeline-scope', className: 'timeline-scope'}, [element('strong', {}, [data.scope.heading]), data.scope.detail ? ' ' + data.scope.detail : null]),
      element('p', {id: 'timeline-status', className: 'timeline-status', 'aria-live': 'polite'}),
      element('div', {id: 'timeline', className: 'timeline'}, data.months.map(block)),
      element('section', {id: 'timeline-details', className: 'timeline-details', 'aria-live': 'polite'}, [
        element('p', {id: 'timeline-details-empty', className: 'timeline-details-empty'}, [data.empty]),
        ...data.months.map(panelMonth),
      ]),
    );
  }

  // The selected month marked, the open month (a pick's, else the selected) shown in the panel.
  function mark(body, data, month, open, picked) {
    for (const section of body.querySelectorAll('.timeline-month')) {
      const at = section.dataset.month;
      section.className = 'timeline-month ' + (at === month ? 'is-selected' : at < month ? 'is-past' : 'is-future');
    }
    let shown = false;
    for (const panel of body.querySelectorAll('.timeline-details-month')) {
      panel.hidden = panel.dataset.month !== open;
      shown = shown || !panel.hidden;
    }
    for (const item of body.querySelectorAll('.timeline-detail')) {
      item.classList.toggle('is-picked', Boolean(picked && item.dataset.event === picked.event));
    }
    body.querySelector('#timeline-details-empty').hidden = shown;
    const status = data.statuses[month] || month;
    const line = body.querySelector('#timeline-status');
    if (line.textContent !== status) { line.textContent = status; }
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
  // into view.
  function bringIntoView(eventId) {
    if (!window.matchMedia(PHONE).matches) { return; }
    window.requestAnimationFrame(function () {
      const item = document.querySelector('.timeline-detail[data-event="' + CSS.escape(eventId) + '"]');
      if (!item || !item.offsetParent) { return; }
      const box = item.getBoundingClientRect();
      if (box.top < 0 || box.bottom > window.innerHeight) {
        item.scrollIntoView({block: box.height > window.innerHeight ? 'start' : 'nearest', behavior: 'smooth'});
      }
    });
  }

  // A pick: the slider moves to the event's month (-1: after the data's last month), and the
  // picked Store opens it in the panel.
  document.addEventListener('click', function (event) {
    const button = event.target.closest && event.target.closest('#timeline button.timeline-event');
    if (!button) { return; }
    const index = Number(button.dataset.index);
    if (index >= 0) { clientside.set_props('month-slider', {value: index}); }
    clientside.set_props('timeline-picked', {data: {event: button.dataset.event, month: button.dataset.month}});
  });

  clientside.rigflowsTimeline = {
    draw: function (data, monthIndex, picked, settings) {
      const body = document.getElementById('timeline-body');
      if (!body || !data) { return; }
      if (data !== drawnData || !body.firstChild) {
        drawBody(body, data);
        drawnData = data;
      }
      const month = settings.months[monthIndex] || settings.month;
      const triggered = (clientside.callback_context.triggered || []).map((t) => t.prop_id);
      const byPick = Boolean(picked && triggered.includes('timeline-picked.data'));
      mark(body, data, month, byPick ? picked.month : month, picked);
      scrollListTo();
      if (byPick) { bringIntoView(picked.event); }
    },
  };
})();
