// Moved to the harness (src/platform/testing/test-database.ts); kept here for the imports of global setup and the
// process tests.
export { dropStaleTestDatabases, dropTestDatabase, testDatabaseName } from '#platform/testing/test-database.ts';
