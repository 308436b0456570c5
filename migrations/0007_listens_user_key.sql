-- The last per-row foreign-key check on `listens` (every imported row looked up its user): imports
-- insert only for the upload's own, existing person, and deleteAccount removes a person's listens
-- itself, in the same transaction as the person.
alter table listens drop constraint listens_user_id_fkey;
