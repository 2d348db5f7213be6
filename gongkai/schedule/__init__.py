"""Scheduled pushes and their monitoring: the cron loop (:mod:`.loop`), fetching sources (:mod:`.sources`), one
run of a dataset (:mod:`.runner`), the run history and leases (:mod:`.history`), notifications (:mod:`.notify`),
RQ workers (:mod:`.workers`) and the timeliness figures (:mod:`.compliance`)."""
