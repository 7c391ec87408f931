"""The bottom layer: what every domain uses (roles, users, departments and categories, time, the database,
form pieces). It imports no other package of `intranet`; every other package may import it."""
