/**
 * Real-looking event bodies, as Graph returns them for events made in Outlook: a Teams meeting (the join blob
 * Teams writes between two underscore rules), an HTML body with a table and an inline image, and a plain-text body.
 * Identifiers are made up.
 */
export const teamsJoinUrl =
  'https://teams.microsoft.com/l/meetup-join/19%3ameeting_ZmQ0NzQ2YjItYjQ3Ny00ZjE2LWE2NDQtMWQ3NTUwZGNhNzQ4%40thread.v2/0?context=%7b%22Tid%22%3a%2200000000-0000-0000-0000-000000000000%22%2c%22Oid%22%3a%2211111111-1111-1111-1111-111111111111%22%7d';

export const teamsBlob =
  '<div style="width:100%"><span style="white-space:nowrap; color:#5F5F5F; opacity:.36">________________________________________________________________________________</span></div>\r\n' +
  '<div class="me-email-text" lang="en-US" style="color:#252424; font-family:\'Segoe UI\',\'Helvetica Neue\',Helvetica,Arial,sans-serif">\r\n' +
  '<div style="margin-top:24px; margin-bottom:20px"><span style="font-size:24px; color:#252424">Microsoft Teams meeting</span></div>\r\n' +
  '<div style="margin-bottom:20px"><div style="margin-top:0px; margin-bottom:0px; font-weight:bold"><span style="font-size:14px; color:#252424">Join on your computer, mobile app or room device</span></div>' +
  `<a href="${teamsJoinUrl}" class="me-email-headline" style="font-size:14px; font-family:'Segoe UI Semibold'; text-decoration:underline; color:#6264a7" target="_blank" rel="noreferrer noopener">Click here to join the meeting</a></div>\r\n` +
  '<div style="margin-bottom:20px; margin-top:20px"><div style="margin-bottom:4px"><span style="font-size:14px; color:#252424">Meeting ID: <span style="font-size:16px; color:#252424">394 551 776 205</span></span><br><span style="font-size:14px; color:#252424">Passcode: </span><span style="font-size:16px; color:#252424">x7QmVb</span></div></div>\r\n' +
  '<div style="margin-bottom:24px; margin-top:20px"><a href="https://aka.ms/JoinTeamsMeeting" class="me-email-link" style="font-size:14px; text-decoration:underline; color:#6264a7" target="_blank" rel="noreferrer noopener">Learn More</a> | <a href="https://teams.microsoft.com/meetingOptions/?organizerId=11111111-1111-1111-1111-111111111111&amp;tenantId=00000000-0000-0000-0000-000000000000&amp;threadId=19_meeting_ZmQ0@thread.v2&amp;messageId=0&amp;language=en-US" class="me-email-link" style="font-size:14px; text-decoration:underline; color:#6264a7" target="_blank" rel="noreferrer noopener">Meeting options</a></div>\r\n' +
  '</div>\r\n' +
  "<div style=\"font-size:14px; margin-bottom:4px; font-family:'Segoe UI','Helvetica Neue',Helvetica,Arial,sans-serif\">\r\n</div>\r\n" +
  '<div style="width:100%"><span style="white-space:nowrap; color:#5F5F5F; opacity:.36">________________________________________________________________________________</span></div>';

export const teamsBody =
  '<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n</head>\r\n<body>\r\n' +
  '<div class="elementToProof" style="font-family:Aptos,Aptos_EmbeddedFont,Aptos_MSFontService,Calibri,Helvetica,sans-serif; font-size:12pt; color:rgb(0,0,0)">Let&#39;s go through the <b>Q4 renewal</b> terms.</div>\r\n' +
  '<br>\r\n' +
  teamsBlob +
  '\r\n</body>\r\n</html>\r\n';

export const tableBody =
  '<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n<style type="text/css" style="display:none">\r\nP {margin-top:0;margin-bottom:0;}\r\n</style>\r\n</head>\r\n<body dir="ltr">\r\n' +
  '<div style="font-family:Calibri,Arial,Helvetica,sans-serif; font-size:12pt">Pricing we agreed:</div>\r\n' +
  '<table border="1" cellpadding="4" style="border-collapse:collapse"><tbody><tr><td>Seats</td><td>120</td></tr><tr><td>Price</td><td>&euro; 18.50</td></tr></tbody></table>\r\n' +
  '<div><img src="cid:image001.png@01DB3C1A.5F0E2A30" width="120" height="40" alt="Contoso logo" style="width:120px; height:40px"></div>\r\n' +
  '</body>\r\n</html>\r\n';

export const plainBody = 'Call about the renewal.\r\nBring the signed NDA.\r\n\r\n  Indented note — keep me.';
