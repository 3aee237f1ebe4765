"""语音播报: Mandarin announcements of lines, payments and faults (docs in README, 语音播报).

``texts`` builds what is said (pure: numbers read the Chinese way by our own code);
``player`` says it through espeak-ng on a worker thread of its own, so the weight path
never waits for a voice.
"""
