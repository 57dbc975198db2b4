// Stand-in for VS Code's webview host API, for testing the webview apps in plain Chromium.
// Posted messages are recorded in window.__posted; state persists in window.__state (and
// sessionStorage, so a reload keeps it, like VS Code's getState/setState across hide/show).
(function () {
  window.__posted = [];
  let state = JSON.parse(sessionStorage.getItem('__vscodeState') || 'null');
  let acquired = false;
  window.acquireVsCodeApi = function () {
    if (acquired) throw new Error('acquireVsCodeApi may only be called once');
    acquired = true;
    return {
      postMessage(msg) {
        const copy = JSON.parse(JSON.stringify(msg));
        window.__posted.push(copy);
        // The harness' onPost (a binding: the message leaves now, not when the page is next idle),
        // with the page's clock when it was posted.
        if (typeof window.__looplineOnPost === 'function') window.__looplineOnPost(copy, performance.now());
      },
      getState() {
        return state;
      },
      setState(s) {
        state = s;
        sessionStorage.setItem('__vscodeState', JSON.stringify(s));
        return s;
      },
    };
  };
})();
