"""The Lab Streaming Layer: pylsl loaded once (:mod:`.library`), one clock mapping per
session (:mod:`.clock`), finding streams (:mod:`.discovery`), channel metadata
(:mod:`.channels`), the app's outlets (:mod:`.outlets`) and markers from other programs
(:mod:`.markers`). See docs/lsl.md. Nothing here imports pylsl until it is used."""
