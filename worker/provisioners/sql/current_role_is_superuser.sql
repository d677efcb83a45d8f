-- Whether the provisioner's own role on the target is a superuser.
SELECT rolsuper FROM pg_roles WHERE rolname = current_user
