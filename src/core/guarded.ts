/**
 * A listener whose errors are its subscriber's to report. Health, rollups and incidents subscribe to the
 * router's events and report their own failures (`onError`) rather than let them reach the router. The
 * wrapper is made once, when subscribing, so an event costs no closure: the `guard(() => this.record(e))`
 * it replaces made one per listener per event, several per request.
 */
export function guarded<E>(listener: (event: E) => void, onError: (error: unknown) => void): (event: E) => void {
  return (event) => {
    try {
      listener(event);
    } catch (error) {
      onError(error);
    }
  };
}
