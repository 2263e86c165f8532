-- Indexes for the search filters (duration, format, sample rate among done sounds).
CREATE INDEX sounds_status_duration ON sounds (status, duration);
CREATE INDEX sounds_status_format ON sounds (status, format);
CREATE INDEX sounds_status_rate ON sounds (status, sample_rate);
