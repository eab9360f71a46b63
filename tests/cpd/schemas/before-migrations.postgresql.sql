-- The app's tables as the release at commit 76bd2b1 created them (the last before migrations).

CREATE TABLE answer (
	id SERIAL NOT NULL, 
	participant_id VARCHAR(64) NOT NULL, 
	event_id VARCHAR(64) NOT NULL, 
	school_id VARCHAR(64) NOT NULL, 
	step_id VARCHAR(64) NOT NULL, 
	choice VARCHAR(40) NOT NULL, 
	text VARCHAR NOT NULL, 
	fields_json VARCHAR NOT NULL, 
	late BOOLEAN NOT NULL, 
	shared BOOLEAN NOT NULL, 
	answered_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (participant_id, step_id)
);

CREATE INDEX ix_answer_participant_id ON answer (participant_id);

CREATE INDEX ix_answer_report ON answer (event_id, step_id, choice, late);

CREATE INDEX ix_answer_school_id ON answer (school_id);

CREATE TABLE choicecount (
	event_id VARCHAR(64) NOT NULL, 
	step_id VARCHAR(64) NOT NULL, 
	choice VARCHAR(40) NOT NULL, 
	answers INTEGER NOT NULL, 
	PRIMARY KEY (event_id, step_id, choice)
);

CREATE TABLE digestoptout (
	leader_id SERIAL NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (leader_id)
);

CREATE TABLE emailbudgetslot (
	send_key VARCHAR(200) NOT NULL, 
	teacher_key VARCHAR(64) NOT NULL, 
	week_start DATE NOT NULL, 
	slot INTEGER NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (send_key), 
	UNIQUE (teacher_key, week_start, slot)
);

CREATE INDEX ix_emailbudgetslot_teacher_key ON emailbudgetslot (teacher_key);

CREATE TABLE emailsend (
	send_key VARCHAR(200) NOT NULL, 
	participant_id VARCHAR(64) NOT NULL, 
	event_id VARCHAR(64) NOT NULL, 
	purpose VARCHAR(20) NOT NULL, 
	step_id VARCHAR(64) NOT NULL, 
	reply_code VARCHAR(40) NOT NULL, 
	message_id VARCHAR(255) NOT NULL, 
	to_addr VARCHAR(320) NOT NULL, 
	subject VARCHAR(300) NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	error VARCHAR(1000) NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	sent_at TIMESTAMP WITH TIME ZONE, 
	PRIMARY KEY (send_key)
);

CREATE INDEX ix_emailsend_participant_id ON emailsend (participant_id);

CREATE INDEX ix_emailsend_reply_code ON emailsend (reply_code);

CREATE INDEX ix_emailsend_report ON emailsend (event_id, purpose, status, step_id);

CREATE TABLE eventcensus (
	event_id VARCHAR(64) NOT NULL, 
	stage VARCHAR(40) NOT NULL, 
	people INTEGER NOT NULL, 
	needs_help INTEGER NOT NULL, 
	overdue INTEGER NOT NULL, 
	bounced INTEGER NOT NULL, 
	paused INTEGER NOT NULL, 
	withdrawn INTEGER NOT NULL, 
	PRIMARY KEY (event_id, stage)
);

CREATE TABLE evidence (
	id VARCHAR(32) NOT NULL, 
	school_id VARCHAR(64) NOT NULL, 
	participant_id VARCHAR(64) NOT NULL, 
	step_id VARCHAR(64) NOT NULL, 
	note VARCHAR(2000) NOT NULL, 
	link VARCHAR(2000) NOT NULL, 
	filename VARCHAR(200) NOT NULL, 
	content_type VARCHAR(100) NOT NULL, 
	size INTEGER NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_evidence_participant_id ON evidence (participant_id);

CREATE INDEX ix_evidence_school_id ON evidence (school_id);

CREATE TABLE helprequest (
	id SERIAL NOT NULL, 
	school_id VARCHAR(64) NOT NULL, 
	event_id VARCHAR(64) NOT NULL, 
	participant_id VARCHAR(64) NOT NULL, 
	step_id VARCHAR(64) NOT NULL, 
	text VARCHAR(5000) NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	notified_at TIMESTAMP WITH TIME ZONE, 
	supported_at TIMESTAMP WITH TIME ZONE, 
	followup_send_key VARCHAR(200) NOT NULL, 
	helped BOOLEAN, 
	helped_at TIMESTAMP WITH TIME ZONE, 
	PRIMARY KEY (id), 
	UNIQUE (participant_id, step_id)
);

CREATE INDEX ix_helprequest_participant_id ON helprequest (participant_id);

CREATE INDEX ix_helprequest_school_id ON helprequest (school_id);

CREATE TABLE leademail (
	key VARCHAR(200) NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (key)
);

CREATE TABLE leadercheck (
	id SERIAL NOT NULL, 
	school_id VARCHAR(64) NOT NULL, 
	event_id VARCHAR(64) NOT NULL, 
	step_id VARCHAR(64) NOT NULL, 
	leader_id INTEGER NOT NULL, 
	reply_code VARCHAR(40) NOT NULL, 
	sent_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	rating INTEGER, 
	text VARCHAR(5000) NOT NULL, 
	answered_at TIMESTAMP WITH TIME ZONE, 
	PRIMARY KEY (id), 
	UNIQUE (event_id, step_id, leader_id)
);

CREATE INDEX ix_leadercheck_event_id ON leadercheck (event_id);

CREATE INDEX ix_leadercheck_leader_id ON leadercheck (leader_id);

CREATE INDEX ix_leadercheck_reply_code ON leadercheck (reply_code);

CREATE INDEX ix_leadercheck_school_id ON leadercheck (school_id);

CREATE TABLE linkversion (
	participant_id VARCHAR(64) NOT NULL, 
	version INTEGER NOT NULL, 
	PRIMARY KEY (participant_id)
);

CREATE TABLE school (
	id VARCHAR(64) NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	calendar_json VARCHAR NOT NULL, 
	branding_json VARCHAR NOT NULL, 
	trust_id VARCHAR(64), 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_school_trust_id ON school (trust_id);

CREATE TABLE stepcount (
	event_id VARCHAR(64) NOT NULL, 
	step_id VARCHAR(64) NOT NULL, 
	sent INTEGER NOT NULL, 
	answered INTEGER NOT NULL, 
	late INTEGER NOT NULL, 
	PRIMARY KEY (event_id, step_id)
);

CREATE TABLE trust (
	id VARCHAR(64) NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	PRIMARY KEY (id)
);

CREATE TABLE unclearreply (
	id SERIAL NOT NULL, 
	participant_id VARCHAR(64) NOT NULL, 
	step_id VARCHAR(64) NOT NULL, 
	text VARCHAR(5000) NOT NULL, 
	received_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_unclearreply_participant_id ON unclearreply (participant_id);

CREATE TABLE apikey (
	id SERIAL NOT NULL, 
	school_id VARCHAR NOT NULL, 
	prefix VARCHAR(32) NOT NULL, 
	key_hash VARCHAR(128) NOT NULL, 
	label VARCHAR(200) NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	revoked_at TIMESTAMP WITH TIME ZONE, 
	PRIMARY KEY (id), 
	FOREIGN KEY(school_id) REFERENCES school (id), 
	UNIQUE (prefix)
);

CREATE INDEX ix_apikey_school_id ON apikey (school_id);

CREATE TABLE event (
	id VARCHAR(64) NOT NULL, 
	school_id VARCHAR NOT NULL, 
	reference VARCHAR(120) NOT NULL, 
	title VARCHAR(200) NOT NULL, 
	plan_id VARCHAR(64) NOT NULL, 
	plan_json VARCHAR NOT NULL, 
	event_date DATE NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	cancelled_at TIMESTAMP WITH TIME ZONE, 
	PRIMARY KEY (id), 
	UNIQUE (school_id, reference), 
	FOREIGN KEY(school_id) REFERENCES school (id)
);

CREATE INDEX ix_event_school_id ON event (school_id);

CREATE TABLE leader (
	id SERIAL NOT NULL, 
	email VARCHAR(320) NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	role VARCHAR(20) NOT NULL, 
	school_id VARCHAR, 
	trust_id VARCHAR, 
	PRIMARY KEY (id), 
	UNIQUE (email, school_id, trust_id), 
	FOREIGN KEY(school_id) REFERENCES school (id), 
	FOREIGN KEY(trust_id) REFERENCES trust (id)
);

CREATE INDEX ix_leader_email ON leader (email);

CREATE TABLE participant (
	id VARCHAR(64) NOT NULL, 
	event_id VARCHAR NOT NULL, 
	school_id VARCHAR NOT NULL, 
	email VARCHAR(320) NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	workflow_id VARCHAR(200) NOT NULL, 
	batch INTEGER NOT NULL, 
	stage VARCHAR(40) NOT NULL, 
	current_step_id VARCHAR(64), 
	next_due_at TIMESTAMP WITH TIME ZONE, 
	needs_help BOOLEAN NOT NULL, 
	email_bounced BOOLEAN NOT NULL, 
	missed_count INTEGER NOT NULL, 
	paused BOOLEAN NOT NULL, 
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (event_id, email), 
	FOREIGN KEY(event_id) REFERENCES event (id), 
	FOREIGN KEY(school_id) REFERENCES school (id)
);

CREATE INDEX ix_participant_event_id ON participant (event_id);

CREATE INDEX ix_participant_on_bounced ON participant (event_id, name, id) WHERE email_bounced IS true;

CREATE INDEX ix_participant_on_needs_help ON participant (event_id, name, id) WHERE needs_help IS true;

CREATE INDEX ix_participant_on_overdue ON participant (event_id, name, id) WHERE missed_count > 0 AND stage != 'withdrawn' AND email_bounced IS false;

CREATE INDEX ix_participant_on_paused ON participant (event_id, name, id) WHERE paused IS true;

CREATE INDEX ix_participant_on_withdrawn ON participant (event_id, name, id) WHERE stage = 'withdrawn';

CREATE INDEX ix_participant_school_email ON participant (school_id, email);

CREATE INDEX ix_participant_school_id ON participant (school_id);
