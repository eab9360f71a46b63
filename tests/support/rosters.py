"""A staff roster as a school's MIS exports it, with its quirks."""

SIMS = (
    "\ufeffForename,Surname,Work Email,Department\r\n"
    "Siân,Evans,sian.evans@hillside.example,Maths\r\n"
    "Zoë,Brown,zoe.brown@hillside.example,English\r\n"
    ",,,\r\n"
    "Siân,Evans,SIAN.EVANS@hillside.example,Science\r\n"
    "Tom,Jones,tom.jones@hillside,PE\r\n"
)
