// The event timeline (components/timeline.py), in the browser: it never asks the server.
//
// `jump`: a click on an event sets the month slider to the event's month; the slider's value
// redraws the map, the energy chart and the URL through `rigflows.view` (assets/views.js).
// `mark`: as the month moves (a click, the slider, Play), the timeline marks the month, says
// where it sits among the events, and scrolls its own list (never the page) to it.
// Component ids ('timeline') are those of components/ids.py.
(function () {
  const clientside = (window.dash_clientside = window.dash_clientside || {});

  function triggeredId() {
    const triggered = (clientside.callback_context.triggered || [])[0];
    if (!triggered || !triggered.value) { return null; }
    try {
      return JSON.parse(triggered.prop_id.slice(0, triggered.prop_id.lastIndexOf('.')));
    } catch (error) {
      return null;
    }
  }

  function scrollListTo(month) {
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

  clientside.rigflowsTimeline = {
    jump: function () {
      const id = triggeredId();
      return id && id.month >= 0 ? id.month : clientside.no_update;
    },

    mark: function (monthIndex, settings, statuses) {
      const month = settings.months[monthIndex] || settings.month;
      const blocks = clientside.callback_context.outputs_list[0];
      const classes = blocks.map(function (output) {
        const at = output.id.month;
        return 'timeline-month ' + (at === month ? 'is-selected' : at < month ? 'is-past' : 'is-future');
      });
      scrollListTo(month);
      return [classes, statuses[month] || month];
    },
  };
})();
