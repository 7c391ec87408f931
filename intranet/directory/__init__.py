"""The hospital's staff directory (员工名录): the people who work here, accounts or not, each under a staff
number that is the key of every import. Complaints will name people by their entry's id.

The domain stands below complaints (which will refer to its entries) and above core; its pages are the
administrator's and live in admin/directory.py, because who may open them is decided by the one permission
function, in complaints/permissions.py, which this package may not import."""
