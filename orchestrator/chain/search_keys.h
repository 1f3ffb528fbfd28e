// chain/ (internal): the search_keys table (schema version 3) the console searches requests by: every PO,
// vendor shipment identifier, transaction id and Amazon / close-out reference of a request, upper case. Kept
// by triggers, so no write path of the store has to remember it.
#pragma once

namespace dockhand::sqlite {
class Database;
}

namespace dockhand::chain::detail {
// Creates the table, its index and triggers, and fills it from the rows already stored.
void add_search_keys(sqlite::Database& db);
}  // namespace dockhand::chain::detail
