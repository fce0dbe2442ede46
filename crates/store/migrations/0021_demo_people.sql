-- Invented demonstration people (issue 17): where a person record came from, as
-- companies.source does for companies. '' for people staff or the person entered;
-- 'seed' for the invented people of the demonstration data (data/council/directory.toml),
-- shown with the 「デモ」 mark and never counted into the council's figures.
ALTER TABLE people ADD COLUMN source TEXT NOT NULL DEFAULT '';

-- A database loaded before this column: its demonstration people are the directory's
-- people, loaded together with the invented companies (source 'seed') and never an
-- account's own profile.
UPDATE people SET source = 'seed'
    WHERE user_id IS NULL
      AND key IN ('designer-1', 'designer-2', 'designer-3', 'designer-4', 'designer-5',
                  'researcher-1', 'researcher-2', 'successor-1', 'successor-2',
                  'student-1', 'student-2')
      AND EXISTS (SELECT 1 FROM companies WHERE companies.source = 'seed');

-- The share offices of the demonstration data other than 尼崎創業支援オフィスアビーズ
-- (which the document names) are invented: marked 「デモ」 the same way.
ALTER TABLE share_offices ADD COLUMN source TEXT NOT NULL DEFAULT '';
UPDATE share_offices SET source = 'seed'
    WHERE key IN ('ota-coworking', 'higashiosaka-incubation', 'kawaguchi-share');
