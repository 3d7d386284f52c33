// A module that fails at import, as a test helper does when something the tests need is missing.
throw new Error('throws-when-loaded: PostgreSQL is not reachable (a stand-in for a missing service)');
