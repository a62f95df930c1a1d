"""Documents the processes app renders: per topic, the exports and printable pages of a standard
(template 2, SOP) and of a current-state analysis (template 1); ``flowchart`` (the SVG chart both
draw) and ``formatting`` (numbers, time limits, responsibilities as people read them) are shared by
the topics and by the other apps' pages."""
